; Inno Setup script: wraps the PyInstaller folder (dist\TimelyGator) into a per-user installer.
;   pyinstaller installers\timelygator.spec && iscc installers\windows\timelygator.iss
#define AppVersion "0.1.0"

[Setup]
AppId={{6C0E2F0B-5B1D-4C47-9E6B-2B7F4C1A7D11}
AppName=TimelyGator
AppVersion={#AppVersion}
AppPublisher=TimelyGator
DefaultDirName={localappdata}\Programs\TimelyGator
DefaultGroupName=TimelyGator
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=TimelyGator-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\TimelyGator\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\TimelyGator"; Filename: "{app}\timelygator.exe"
Name: "{userstartup}\TimelyGator"; Filename: "{app}\timelygator.exe"; Parameters: "--minimized"; Tasks: autostart

[Tasks]
Name: autostart; Description: "Start TimelyGator when I sign in"; Flags: unchecked

[Run]
Filename: "{app}\timelygator.exe"; Description: "Start TimelyGator"; Flags: nowait postinstall skipifsilent
