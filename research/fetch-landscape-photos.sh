#!/bin/sh
# Clean photographs for a training experiment (never committed, never evaluated on; the shipped
# models do not use them: docs/classifier.md, "More sources of one kind"): the landscape and
# city photographs of Debian's endless-sky-data (images/land: 720x360 JPEGs, public domain, most
# from morguefile.com or NASA, and CC-BY-SA-3.0 / 4.0 where the package's copyright file says so).
# Left out: the pictures of space, lava, stations and skies alone. Needs apt-get (Debian's package
# archive) and python3; about 70 MB is downloaded, nothing is installed.
# Writes DIR/*.jpg (231 photographs) and DIR/SOURCES.tsv (file, package, version, licence: the
# copyright file's last stanza matching each file, as DEP-5 reads it).
# Usage: research/fetch-landscape-photos.sh DIR
set -eu
out=${1:?usage: $0 DIR}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chmod 755 "$work" && chown _apt "$work"; fi
(cd "$work" && apt-get download -q endless-sky-data >/dev/null)
deb=$(ls "$work"/endless-sky-data_*.deb)
dpkg-deb -x "$deb" "$work/x"
version=$(dpkg-deb -f "$deb" Version)
land="$work/x/usr/share/games/endless-sky/images/land"
python3 - "$land" "$work/x/usr/share/doc/endless-sky-data/copyright" "$out" "$version" <<'EOF'
import fnmatch, os, re, shutil, sys
land, copyright, out, version = sys.argv[1:]
# DEP-5: each stanza's Files patterns and License; the last stanza that matches a file wins.
stanzas = []
for block in re.split(r'\n\s*\n', open(copyright, encoding='utf-8').read()):
    files = re.search(r'^Files:(.*?)(?=^\S)', block + '\nX', re.S | re.M)
    lic = re.search(r'^License: *(\S+)', block, re.M)
    if files and lic:
        stanzas.append((files.group(1).split(), lic.group(1)))
skip = re.compile(r'^(space|nasa|lava|station|earthrise|sky)')
rows = []
for name in sorted(os.listdir(land)):
    if not name.endswith('.jpg') or skip.match(name):
        continue
    path = 'images/land/' + name
    lic = [l for pats, l in stanzas if any(fnmatch.fnmatch(path, p) for p in pats)]
    if not lic:
        sys.exit(f'no licence found for {path}')
    target = 'endless-sky_' + name
    shutil.copyfile(os.path.join(land, name), os.path.join(out, target))
    rows.append(f'{target}\tendless-sky-data\t{version}\t{lic[-1]}')
with open(os.path.join(out, 'SOURCES.tsv'), 'w') as f:
    f.write('file\tpackage\tversion\tlicense\n' + '\n'.join(rows) + '\n')
print(f'{len(rows)} photographs in {out}')
EOF
