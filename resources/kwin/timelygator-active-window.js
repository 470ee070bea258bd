// TimelyGator: tells the TimelyGator watcher which window is active on KDE Plasma.
//
// The watcher loads this script into KWin over D-Bus (org.kde.KWin /Scripting loadScript,
// then run) and unloads it when it stops; see watchers/kwin_script.py. Whenever the active
// window or its caption changes, and once at start, the script calls
//   io.timelygator.TimelyGator.KWin /io/timelygator/TimelyGator/KWin
//   io.timelygator.TimelyGator.KWin.WindowActivated(resourceClass, caption, desktopFileName, pid)
// with four strings ("" for each when no window is active). Nothing else is sent, and only
// to the session bus of this login. Works with Plasma 6 (windowActivated/activeWindow) and
// Plasma 5 (clientActivated/activeClient).
"use strict";

var SERVICE = "io.timelygator.TimelyGator.KWin";
var OBJECT_PATH = "/io/timelygator/TimelyGator/KWin";
var INTERFACE = "io.timelygator.TimelyGator.KWin";
var METHOD = "WindowActivated";

// Plasma 5 hands resourceClass over as a QByteArray (an ArrayBuffer in JavaScript).
function text(value) {
    if (value === undefined || value === null) {
        return "";
    }
    if (typeof value === "string") {
        return value;
    }
    if (typeof ArrayBuffer !== "undefined" && value instanceof ArrayBuffer) {
        var bytes = new Uint8Array(value);
        var out = "";
        for (var i = 0; i < bytes.length; i++) {
            out += String.fromCharCode(bytes[i]);
        }
        return out;
    }
    return String(value);
}

var watched = null;

function report() {
    var w = watched;
    if (w) {
        callDBus(SERVICE, OBJECT_PATH, INTERFACE, METHOD,
            text(w.resourceClass), text(w.caption), text(w.desktopFileName), text(w.pid));
    } else {
        callDBus(SERVICE, OBJECT_PATH, INTERFACE, METHOD, "", "", "", "");
    }
}

function activated(window) {
    if (watched && watched.captionChanged) {
        try {
            watched.captionChanged.disconnect(report);
        } catch (e) {
            // the window is gone; nothing to disconnect
        }
    }
    watched = window || null;
    if (watched && watched.captionChanged) {
        watched.captionChanged.connect(report);
    }
    report();
}

if (workspace.windowActivated !== undefined) {
    workspace.windowActivated.connect(activated);
    activated(workspace.activeWindow);
} else {
    workspace.clientActivated.connect(activated);
    activated(workspace.activeClient);
}
