; Inno Setup 6 recipe for IT: installs the frozen one-folder build (dist\rhi-desk\) on Windows 10/11.
;
; Build it on Windows, after `pip install ".[package]"` and `python build\freeze.py`:
;     "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" build\rhi-desk.iss
; which writes dist\installer\rhi-desk-setup-0.1.0.exe. Code signing is IT's step: sign
; dist\rhi-desk\rhi-desk.exe before compiling, and the setup program after (signtool sign /fd sha256
; /tr <your timestamp server> /td sha256 /f <your certificate> ...), or set SignTool below.
;
; Per machine (the default, needs administrator rights) or per user (no rights needed):
;     rhi-desk-setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /ALLUSERS
;     rhi-desk-setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /CURRENTUSER
; Silent uninstall: "%ProgramFiles%\RHI Desk\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;
; The window needs the Microsoft Edge WebView2 Runtime (present on current Windows 10 and 11; deploy
; Microsoft's Evergreen runtime where it is not). Setup refuses to continue without it, with a sentence.
; Nothing of a user's data is in the install folder: databases live in %LOCALAPPDATA%\rhi-desk\rhi-desk
; and the log in %LOCALAPPDATA%\rhi-desk\rhi-desk\Logs; uninstalling leaves both.

#define AppName "RHI Desk"
#define AppVersion "0.1.0"
#define AppExe "rhi-desk.exe"

[Setup]
AppId={{6C1E3B52-7A0F-4B7E-9D4C-2F1A8E5B9C31}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=RHI Desk
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist\installer
OutputBaseFilename=rhi-desk-setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
; SignTool=councilsign $f

[Files]
Source: "..\dist\rhi-desk\{#AppExe}"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\dist\rhi-desk\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Put RHI Desk on the desktop"; Flags: unchecked

[Run]
Filename: "{app}\{#AppExe}"; Description: "Open RHI Desk now"; Flags: nowait postinstall skipifsilent

[Code]
const
  WebView2Key = 'Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}';

function WebView2Installed(): Boolean;
var
  Version: String;
begin
  Result :=
    (RegQueryStringValue(HKLM, 'SOFTWARE\WOW6432Node\' + WebView2Key, 'pv', Version) and (Version <> '') and (Version <> '0.0.0.0')) or
    (RegQueryStringValue(HKLM, 'SOFTWARE\' + WebView2Key, 'pv', Version) and (Version <> '') and (Version <> '0.0.0.0')) or
    (RegQueryStringValue(HKCU, 'Software\' + WebView2Key, 'pv', Version) and (Version <> '') and (Version <> '0.0.0.0'));
end;

function InitializeSetup(): Boolean;
begin
  Result := WebView2Installed();
  if not Result then
    SuppressibleMsgBox('RHI Desk needs the Microsoft Edge WebView2 Runtime, which is not installed on this computer. ' +
      'Install Microsoft''s Evergreen WebView2 Runtime first, then run this setup again.', mbCriticalError, MB_OK, IDOK);
end;
