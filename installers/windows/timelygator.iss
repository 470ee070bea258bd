; Inno Setup 6 script: the Windows installer around the PyInstaller bundle (per user, no admin).
;   python installers\build.py
; runs, after building dist\TimelyGator:
;   iscc /DAppVersion=<version> /DSourceDir=<repo>\dist\TimelyGator /O<repo>\dist installers\windows\timelygator.iss
; and writes dist\TimelyGator-<version>-setup.exe. What it does:
; - installs to %LOCALAPPDATA%\Programs\TimelyGator (an administrator may choose all users);
; - a Start-menu entry; optionally start at sign-in, minimized (the same Run value the app's
;   Settings -> General writes, so either can turn it off);
; - the uninstaller removes the program and the Run value, and keeps your data
;   (%LOCALAPPDATA%\TimelyGator) unless you say yes to deleting it.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\TimelyGator"
#endif

[Setup]
AppId={{6C0E2F0B-5B1D-4C47-9E6B-2B7F4C1A7D11}
AppName=TimelyGator
AppVersion={#AppVersion}
AppVerName=TimelyGator {#AppVersion}
AppPublisher=TimelyGator
AppPublisherURL=https://timelygator.io
DefaultDirName={autopf}\TimelyGator
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=TimelyGator-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\timelygator.ico
UninstallDisplayIcon={app}\timelygator.exe
UninstallDisplayName=TimelyGator
CloseApplications=yes
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: autostart; Description: "Start TimelyGator when I sign in (in the tray)"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{autoprograms}\TimelyGator"; Filename: "{app}\timelygator.exe"; Comment: "Private, automatic time tracking"

[Registry]
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "TimelyGator"; ValueData: """{app}\timelygator.exe"" --minimized"; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\timelygator.exe"; Description: "Start TimelyGator"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The Run value may have been written by the app itself (Settings -> General).
Type: files; Name: "{userstartup}\TimelyGator.lnk"

[Code]
// Your data stays unless you ask: the encrypted database, its key file, backups and logs.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', 'TimelyGator');
    DataDir := ExpandConstant('{localappdata}\TimelyGator');
    if DirExists(DataDir) and not UninstallSilent() then
      if MsgBox('Also delete your TimelyGator data in ' + DataDir + '?' + #13#10#13#10 +
                'It holds the encrypted database, its backups and the logs. Choose No to keep ' +
                'it for a later installation.', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
