// Runs the TimelyGator KWin script under node with a fake `workspace` and `callDBus`, the way
// KWin runs it, and answers commands (one JSON object a line) on stdin. Every callDBus is
// printed as {"callDBus": [service, path, interface, method, ...args]}; the fake KWin in
// tests/watchers/dbus_helpers.py sends it on the bus as KWin would.
//
//   node kwin_harness.cjs <script.js> plasma6|plasma5 <initial window JSON or null>
//   <- {"activate": {"resourceClass", "caption", "desktopFileName", "pid"} | null} -> {"ok"}
//   <- {"caption": "new caption"}   (of the active window, then captionChanged) -> {"ok"}
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const vm = require('node:vm');

const [scriptPath, flavor, initial] = process.argv.slice(2);
const plasma6 = flavor === 'plasma6';
const out = object => process.stdout.write(JSON.stringify(object) + '\n');

function signal() {
    const slots = [];
    return {
        connect: slot => slots.push(slot),
        disconnect: slot => {
            const at = slots.indexOf(slot);
            if (at < 0)
                throw new Error('not connected');
            slots.splice(at, 1);
        },
        emit: (...args) => slots.slice().forEach(slot => slot(...args)),
        connected: () => slots.length,
    };
}

const workspace = plasma6
    ? {windowActivated: signal(), activeWindow: null}
    : {clientActivated: signal(), activeClient: null};
const context = vm.createContext({
    workspace,
    callDBus: (...args) => out({callDBus: args}),
    print: (...args) => console.error(...args),
});
// Plasma 5 hands QByteArray properties over as ArrayBuffers (of the script's own realm).
const ScriptArrayBuffer = vm.runInContext('ArrayBuffer', context);

function bytes(text) {
    const buffer = new ScriptArrayBuffer(text.length);
    const view = new Uint8Array(buffer);
    for (let i = 0; i < text.length; i++)
        view[i] = text.charCodeAt(i);
    return buffer;
}

function makeWindow(spec) {
    if (!spec)
        return null;
    return {
        resourceClass: plasma6 ? spec.resourceClass : bytes(spec.resourceClass),
        caption: spec.caption,
        desktopFileName: spec.desktopFileName,
        pid: spec.pid,
        captionChanged: signal(),
    };
}

let active = makeWindow(JSON.parse(initial || 'null'));
if (plasma6)
    workspace.activeWindow = active;
else
    workspace.activeClient = active;
vm.runInContext(fs.readFileSync(scriptPath, 'utf8'), context, {filename: scriptPath});

const lines = readline.createInterface({input: process.stdin});
lines.on('line', line => {
    const command = JSON.parse(line);
    if ('activate' in command) {
        active = makeWindow(command.activate);
        if (plasma6) {
            workspace.activeWindow = active;
            workspace.windowActivated.emit(active);
        } else {
            workspace.activeClient = active;
            workspace.clientActivated.emit(active);
        }
    } else if ('caption' in command) {
        active.caption = command.caption;
        active.captionChanged.emit();
    }
    out({ok: true});
});
