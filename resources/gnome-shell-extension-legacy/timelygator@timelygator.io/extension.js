// TimelyGator window reporter, for GNOME Shell 40 to 44 (legacy imports).
//
// Exports io.timelygator.TimelyGator.ShellWindow at /io/timelygator/TimelyGator/ShellWindow on
// GNOME Shell's own session-bus connection (bus name org.gnome.Shell). The TimelyGator watcher
// calls GetActiveWindow about once a second; see watchers/dbus_probes.py. The extension only
// answers; it sends nothing by itself. GNOME Shell 45 and later use the copy in
// gnome-shell-extension/, which differs only in how it imports.
/* exported init */
'use strict';

const {Gio, Shell} = imports.gi;
const Main = imports.ui.main;

const OBJECT_PATH = '/io/timelygator/TimelyGator/ShellWindow';
const VERSION = 1;

// BEGIN INTERFACE (the same in both copies of the extension; tests compare them and the watcher)
const INTERFACE_XML = `
<node>
  <interface name="io.timelygator.TimelyGator.ShellWindow">
    <method name="GetVersion">
      <arg type="u" direction="out" name="version"/>
    </method>
    <method name="GetActiveWindow">
      <arg type="s" direction="out" name="app_id"/>
      <arg type="s" direction="out" name="wm_class"/>
      <arg type="s" direction="out" name="title"/>
      <arg type="i" direction="out" name="pid"/>
    </method>
  </interface>
</node>`;
// END INTERFACE

class ShellWindow {
    GetVersion() {
        return VERSION;
    }

    // [app id (the .desktop id), WM_CLASS (the Wayland app id of native windows), title, pid];
    // empty strings and 0 when no window has focus or the screen is locked.
    GetActiveWindow() {
        const window = Main.sessionMode.isLocked ? null : global.display.focus_window;
        if (!window)
            return ['', '', '', 0];
        const app = Shell.WindowTracker.get_default().get_window_app(window);
        return [
            (app && app.get_id()) || '',
            window.get_wm_class() || '',
            window.get_title() || '',
            window.get_pid() || 0,
        ];
    }
}

class TimelyGatorExtension {
    enable() {
        this._exported = Gio.DBusExportedObject.wrapJSObject(INTERFACE_XML, new ShellWindow());
        this._exported.export(Gio.DBus.session, OBJECT_PATH);
    }

    disable() {
        if (this._exported) {
            this._exported.unexport();
            this._exported = null;
        }
    }
}

function init() {
    return new TimelyGatorExtension();
}
