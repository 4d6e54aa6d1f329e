#!/usr/bin/env bash
# Installs what the end-to-end test (test/e2e/vscode.e2e.ts) needs: Debian's chromium, ripgrep, fonts and
# kerberos headers, and code-server 4.100.3 (VS Code 1.100.3 on Node 20) from npm into a cache folder outside
# the repo. Idempotent: each step is skipped when its result is already there. Run as root on a fresh machine.
# The steps follow shared/vscode-host/README.md; every one of them is needed.
#
#   bash scripts/setup-e2e.sh            # prints the code-server entry point on its last line
#   FAULTLINE_E2E_CACHE=/some/dir bash scripts/setup-e2e.sh
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
CACHE="${FAULTLINE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/faultline-e2e}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "[setup-e2e] $*" >&2; }

# 1. Debian packages: kerberos headers (code-server's kerberos module), rg (VS Code search), the browser, a font.
need_apt=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
else
  log "apt packages present"
fi

# 2. code-server from npm, without its install scripts (they would download ripgrep).
mkdir -p "$CACHE"
CS="$CACHE/node_modules/code-server"
if [ ! -f "$CS/package.json" ] || [ "$(node -p "require('$CS/package.json').version")" != "$CODE_SERVER_VERSION" ]; then
  log "npm i code-server@$CODE_SERVER_VERSION into $CACHE"
  [ -f "$CACHE/package.json" ] || echo '{"name":"faultline-e2e-cache","private":true}' > "$CACHE/package.json"
  (cd "$CACHE" && npm i --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" --ignore-scripts >&2)
else
  log "code-server $CODE_SERVER_VERSION present"
fi

# 3. VS Code's own server-side modules (production only), native modules rebuilt, rg copied in.
VSC="$CS/lib/vscode"
if [ ! -f "$VSC/.faultline-setup-done" ]; then
  log "installing VS Code server modules"
  (
    cd "$VSC"
    npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2
    npm rebuild kerberos @parcel/watcher @vscode/spdlog @vscode/deviceid native-watchdog >&2
    mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    ln -sfn node_modules node_modules.asar
    (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
    (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
    (cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2)
  )
  touch "$VSC/.faultline-setup-done"
else
  log "VS Code server modules present"
fi

# 4. code-server's password hashing module (needed even with --auth none: it is loaded at start).
if [ ! -f "$CACHE/.argon2-rebuilt" ]; then
  log "npm rebuild argon2"
  (cd "$CACHE" && npm rebuild argon2 >&2)
  touch "$CACHE/.argon2-rebuilt"
fi

# 5. playwright-core is a devDependency of the repo; install it if node_modules lacks it.
if [ ! -f "$REPO/node_modules/playwright-core/package.json" ]; then
  log "npm install in $REPO (playwright-core missing)"
  (cd "$REPO" && npm install --no-audit --no-fund >&2)
fi

echo "$CS/out/node/entry.js"
