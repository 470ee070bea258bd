// Runs the TimelyGator GNOME Shell extension's own code under node, with GNOME Shell's few
// APIs it touches replaced by small fakes, and answers commands (one JSON object a line) on
// stdin. tests/watchers/dbus_helpers.py puts it behind a fake org.gnome.Shell on a private
// session bus, so the watcher's probe talks to exactly what the extension answers.
//
//   node gnome_shell_harness.mjs modern|legacy <extension dir>
//   -> {"ready": true, "path": <exported object path>, "xml": <interface XML>}
//   <- {"focus": {"wm_class", "title", "pid", "app_id"} | null}   -> {"ok": true}
//   <- {"locked": true|false}                                     -> {"ok": true}
//   <- {"call": "GetActiveWindow"}                                -> {"result": ...} | {"error"}
//   <- {"disable": true} / {"enable": true}                       -> {"exported": bool}
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import vm from 'node:vm';
import {pathToFileURL} from 'node:url';

const [variant, extensionDir] = process.argv.slice(2);
const state = {exported: null, focus: null, locked: false};

const Gio = {
    DBus: {session: {name: 'the session bus'}},
    DBusExportedObject: {
        wrapJSObject(xml, impl) {
            return {
                export(connection, objectPath) {
                    state.exported = {xml, impl, path: objectPath, connection};
                },
                unexport() {
                    state.exported = null;
                },
            };
        },
    },
};
const Shell = {
    WindowTracker: {get_default: () => ({get_window_app: window => window._app})},
};
const Main = {sessionMode: {get isLocked() { return state.locked; }}};
class Extension {
    constructor(metadata) {
        this.metadata = metadata;
    }
}
const display = {get focus_window() { return state.focus; }};
globalThis.__tg = {Gio, Shell, Main, Extension};

function metaWindow(spec) {
    if (!spec)
        return null;
    return {
        get_wm_class: () => spec.wm_class ?? null,
        get_title: () => spec.title ?? null,
        get_pid: () => spec.pid ?? -1,
        _app: spec.app_id ? {get_id: () => spec.app_id} : null,
    };
}

async function loadModern() {
    // The extension's import specifiers, pointed at fakes; nothing else in it changes.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-gnome-ext-'));
    const fakes = {
        'gi://Gio': ['gio.mjs', 'export default globalThis.__tg.Gio;'],
        'gi://Shell': ['shell.mjs', 'export default globalThis.__tg.Shell;'],
        'resource:///org/gnome/shell/ui/main.js':
            ['main.mjs', 'export const sessionMode = globalThis.__tg.Main.sessionMode;'],
        'resource:///org/gnome/shell/extensions/extension.js':
            ['extension-base.mjs', 'export const Extension = globalThis.__tg.Extension;'],
    };
    let source = fs.readFileSync(path.join(extensionDir, 'extension.js'), 'utf8');
    for (const [specifier, [file, text]] of Object.entries(fakes)) {
        fs.writeFileSync(path.join(dir, file), text);
        source = source.split(`'${specifier}'`).join(`'./${file}'`);
    }
    fs.writeFileSync(path.join(dir, 'extension.mjs'), source);
    globalThis.display = display;  // GNOME Shell's `global` is node's global object here
    const module = await import(pathToFileURL(path.join(dir, 'extension.mjs')).href);
    fs.rmSync(dir, {recursive: true, force: true});
    const metadata = JSON.parse(fs.readFileSync(path.join(extensionDir, 'metadata.json'), 'utf8'));
    return new module.default(metadata);
}

function loadLegacy() {
    const source = fs.readFileSync(path.join(extensionDir, 'extension.js'), 'utf8');
    const context = vm.createContext({
        imports: {gi: {Gio, Shell}, ui: {main: Main}},
        global: {display},
        log: console.error,
    });
    vm.runInContext(source, context, {filename: 'extension.js'});
    return context.init();
}

const extension = variant === 'legacy' ? loadLegacy() : await loadModern();
extension.enable();
const out = object => process.stdout.write(JSON.stringify(object) + '\n');
out({ready: true, path: state.exported?.path, xml: state.exported?.xml});

for await (const line of readline.createInterface({input: process.stdin})) {
    const command = JSON.parse(line);
    if ('focus' in command) {
        state.focus = metaWindow(command.focus);
        out({ok: true});
    } else if ('locked' in command) {
        state.locked = command.locked;
        out({ok: true});
    } else if ('call' in command) {
        try {
            if (!state.exported)
                throw new Error('not exported');
            out({result: state.exported.impl[command.call](...(command.args ?? []))});
        } catch (error) {
            out({error: String(error)});
        }
    } else if ('disable' in command) {
        extension.disable();
        out({exported: state.exported !== null});
    } else if ('enable' in command) {
        extension.enable();
        out({exported: state.exported !== null});
    }
}
