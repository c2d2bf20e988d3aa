#!/bin/sh
# Rebuild static/vendor/noble-ciphers/aes-gcm.min.js: AES-GCM of @noble/ciphers (MIT, audited) as one
# self-contained file, for pages that cannot use WebCrypto (plain http:// on a LAN address is not a secure
# context). It defines window.CCCAesGcm = { gcm }. Needs node and npm; run from the repository's root.
set -eu
NOBLE_VERSION=2.4.0
ESBUILD_VERSION=0.28.2
out="static/vendor/noble-ciphers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
(
  cd "$work"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "@noble/ciphers@$NOBLE_VERSION" "esbuild@$ESBUILD_VERSION" >/dev/null
  printf "export { gcm } from '@noble/ciphers/aes.js';\n" >entry.js
  ./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=CCCAesGcm \
    --target=es2020 --legal-comments=none \
    --banner:js="/*! @noble/ciphers $NOBLE_VERSION (aes.js: gcm), MIT, (c) Paul Miller; built by deploy/vendor-noble-ciphers.sh with esbuild $ESBUILD_VERSION */" \
    --outfile=aes-gcm.min.js
)
cp "$work/aes-gcm.min.js" "$out/aes-gcm.min.js"
cp "$work/node_modules/@noble/ciphers/LICENSE" "$out/LICENSE"
echo "wrote $out/aes-gcm.min.js ($(wc -c <"$out/aes-gcm.min.js") bytes)"
