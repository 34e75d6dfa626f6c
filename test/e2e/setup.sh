#!/usr/bin/env bash
# Installs what the real-editor e2e tests need: Debian's chromium, ripgrep, the Kerberos headers and build
# tools, and code-server into a cache folder outside the repository. Idempotent: a finished install leaves a
# stamp file and a second run only re-checks it. Downloads come from Debian and the npm registry only.
#
#   IMAGE_TRAINER_CACHE   cache root (default ~/.cache/image-trainer)
#
# Prints the code-server folder on its last line.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
CACHE_ROOT="${IMAGE_TRAINER_CACHE:-$HOME/.cache/image-trainer}"
TARGET="$CACHE_ROOT/code-server-$CODE_SERVER_VERSION"
STAMP="$TARGET/.installed"
START=$(date +%s)

log() { printf '[e2e-setup] %s\n' "$*" >&2; }

# Native modules inside code-server's VS Code; each must load under this Node or the server fails later.
VSCODE_NATIVE=(kerberos node-pty @vscode/spdlog native-watchdog @parcel/watcher @vscode/deviceid)

install_debian_packages() {
  local wanted=(chromium ripgrep libkrb5-dev build-essential unzip python3)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages present"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Checks that the install is usable: the entry point exists, rg runs, every native module loads.
verify() {
  local dir="$1/node_modules/code-server"
  [ -f "$dir/out/node/entry.js" ] || return 1
  "$dir/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" --version >/dev/null 2>&1 || return 1
  (cd "$dir" && node -e "require('argon2')") >/dev/null 2>&1 || return 1
  local mod
  for mod in "${VSCODE_NATIVE[@]}"; do
    (cd "$dir/lib/vscode" && node -e "require('$mod')") >/dev/null 2>&1 || { log "native module $mod does not load"; return 1; }
  done
}

install_code_server() {
  # Build in a scratch folder and move it into place only when complete, so an interrupted run never
  # leaves a half-installed folder that looks finished.
  local work="$TARGET.partial"
  rm -rf "$work"
  mkdir -p "$work"
  cd "$work"
  printf '{"name":"image-trainer-e2e-code-server","private":true}\n' >package.json

  # --ignore-scripts: @vscode/ripgrep's install script downloads rg from GitHub, which we cannot reach.
  log "npm install code-server@$CODE_SERVER_VERSION (no install scripts)"
  npm install --no-audit --no-fund --ignore-scripts --no-save "code-server@$CODE_SERVER_VERSION" >&2
  log "npm rebuild argon2"
  npm rebuild --no-audit --no-fund argon2 >&2

  local cs="$work/node_modules/code-server"
  log "npm install in lib/vscode (production dependencies, no install scripts)"
  (cd "$cs/lib/vscode" && npm install --no-audit --no-fund --omit=dev --ignore-scripts >&2)
  log "npm rebuild ${VSCODE_NATIVE[*]}"
  (cd "$cs/lib/vscode" && npm_config_yes=true npm rebuild --no-audit --no-fund "${VSCODE_NATIVE[@]}" >&2)

  log "linking Debian's rg into @vscode/ripgrep"
  mkdir -p "$cs/lib/vscode/node_modules/@vscode/ripgrep/bin"
  cp "$(command -v rg)" "$cs/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"

  # Links that code-server's release tarball has and the npm package lacks.
  ln -sfn node_modules "$cs/lib/vscode/node_modules.asar"
  ln -sfn code-linux.sh "$cs/lib/vscode/bin/remote-cli/code-server"
  ln -sfn browser-linux.sh "$cs/lib/vscode/bin/helpers/browser.sh"

  log "npm install in lib/vscode/extensions"
  (cd "$cs/lib/vscode/extensions" && npm install --no-audit --no-fund --omit=dev --ignore-scripts >&2)

  verify "$work" || { log "code-server install in $work failed verification"; exit 1; }
  cd "$CACHE_ROOT"
  rm -rf "$TARGET"
  mv "$work" "$TARGET"
  date -u +%Y-%m-%dT%H:%M:%SZ >"$STAMP"
}

install_debian_packages
mkdir -p "$CACHE_ROOT"
if [ -f "$STAMP" ] && verify "$TARGET"; then
  log "code-server $CODE_SERVER_VERSION cached in $TARGET"
else
  install_code_server
  log "code-server $CODE_SERVER_VERSION installed in $TARGET"
fi
log "done in $(($(date +%s) - START)) s"
echo "$TARGET"
