#!/usr/bin/env bash
# Runs every test of Phoebe, installing what the tests need on a fresh Debian
# machine first. This is the README's test command; .ci/run calls it.
#
#   tools/test.sh
#
# Steps: install tools -> generated parser and shipped eBPF object are up to
# date -> data tables are reproducible from the system's headers, man pages and
# strace's source -> unit, golden, CLI and fuzz tests -> the shipped .phb files
# check and are formatted -> the native build works -> the CLI packs and
# installs as a .NET tool.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*"; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

step "installing what the tests need"
if ! command -v dotnet >/dev/null 2>&1; then
  echo "the .NET SDK 10 (dotnet) is required: see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 2
fi
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v dpkg-source >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v strace >/dev/null 2>&1 || missing+=(strace)            # the differential tests' reference
command -v clang >/dev/null 2>&1 || missing+=(clang)              # rebuilds the shipped eBPF monitor to check it (tools/build-bpf.sh --check)
command -v llvm-strip >/dev/null 2>&1 || missing+=(llvm)         # strips its DWARF, keeping BTF
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)   # its headers; brings libbpf1, which loads it
[ -f "/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/libc.a" ] || missing+=(libc6-dev)  # static test targets
[ -f /usr/include/asm-generic/unistd.h ] || missing+=(linux-libc-dev)
[ -e /usr/share/man/man2/openat.2.gz ] || [ -e /usr/share/man/man2/open.2.gz ] || missing+=(manpages-dev)
[ -x /usr/bin/prometheus ] || missing+=(prometheus)             # scrapes `phoebe observe --metrics` in its integration test
[ -x /usr/bin/chromium ] || missing+=(chromium)                 # opens report.html headless in the report tests
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)  # a real RESP peer for the health-check helpers; examples/redis
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)  # examples/redis's load
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  sudo_if_needed apt-get update -q >/dev/null
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
echo "dotnet $(dotnet --version), node $(node --version), python $(python3 --version | cut -d' ' -f2)"

step "generated parser matches grammar/Phoebe.g4"
tools/gen-parser.sh --check

step "shipped eBPF monitor is what its source compiles to"
tools/build-bpf.sh --check

step "inlined chart library matches its pinned npm package"
tools/fetch-chart-lib.sh --check

step "data tables regenerate identically"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if strace_src="$(tools/fetch-strace-source.sh "$work/strace" 2>"$work/fetch.log")"; then
  tools/regen-data.sh --check "$strace_src"
else
  # Only the source download can fail here (no network to the Debian archive).
  echo "SKIPPED: cannot fetch strace's Debian source package ($(tail -1 "$work/fetch.log")); the committed tables were not re-derived"
fi

step "unit, golden, CLI, fuzz, injection and strace-differential tests"
set +e
dotnet test Phoebe.sln -c Release --nologo 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e

step "shipped examples and stdlib check and are formatted; example scenarios validate"
set +e
./phoebe check examples/*.phb examples/*/*.phb stdlib/*.phb || status=1
./phoebe fmt --check examples/*.phb examples/*/*.phb stdlib/*.phb || status=1
./phoebe scenario validate -q examples/*/scenario.yaml || status=1
set -e

step "the fast-start native build: built by ./phoebe above, it injects and hands HEALTH checks to the managed build"
native=src/Phoebe.Cli/bin/Release/native/phoebe
if [ -x "$native" ] && [ ! -f src/Phoebe.Cli/bin/Release/.phoebe-native-failed ]; then
  set +e
  "$native" run -q -e 'RULE r ON openat IF path == "/etc/hostname" DO return EACCES' -- cat /etc/hostname >"$work/native-run.out" 2>&1
  rc=$?
  PHOEBE_MANAGED_DLL="$root/src/Phoebe.Cli/bin/Release/net10.0/phoebe.dll" "$native" check examples/health-checks.phb >"$work/native-check.out" 2>&1
  check_rc=$?
  set -e
  if [ "$rc" -eq 1 ] && grep -q 'Permission denied' "$work/native-run.out" && [ "$check_rc" -eq 0 ] && grep -q '^checked 1 file: 1 ok' "$work/native-check.out"; then
    echo "native: run injects, check hands the HEALTH checks over ($(stat -c %s "$native") bytes)"
  else
    echo "native build misbehaves: run exited $rc, check exited $check_rc"; cat "$work/native-run.out" "$work/native-check.out"
    status=1
  fi
else
  echo "the native build failed:"; cat src/Phoebe.Cli/bin/Release/.phoebe-native-build.log 2>/dev/null | tail -30
  status=1
fi

step "the CLI packs as a .NET tool, installs, and works outside the repository"
# The launcher, the BPF object and the stdlib travel inside the package.
tool_works() {
  dotnet pack src/Phoebe.Cli/Phoebe.Cli.csproj -c Release --nologo -v q -o "$work/pack" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; return 1; }
  echo "packed $(basename "$work"/pack/Phoebe.Cli.*.nupkg)"
  dotnet tool install --tool-path "$work/tool" --add-source "$work/pack" Phoebe.Cli >"$work/install.log" 2>&1 || { cat "$work/install.log"; return 1; }
  mkdir -p "$work/elsewhere"
  (
    cd "$work/elsewhere"
    printf 'import "disk-full"\nRULE no_hostname ON openat IF path == "/etc/hostname" DO return EACCES\n' >rules.phb
    "$work/tool/phoebe" check rules.phb >check.out 2>&1 || { echo "installed phoebe check failed:"; cat check.out; exit 1; }
    set +e
    "$work/tool/phoebe" run -q -e 'RULE r ON openat IF path == "/etc/hostname" DO return EACCES' -- cat /etc/hostname >run.out 2>&1
    rc=$?
    set -e
    if [ "$rc" -ne 1 ] || ! grep -q 'Permission denied' run.out; then echo "installed phoebe run did not inject (exit $rc):"; cat run.out; exit 1; fi
    if [ "$(id -u)" -eq 0 ]; then
      # eBPF, from the object inside the package.
      "$work/tool/phoebe" observe -q --duration 1s -o profile.yaml -- true 2>observe.err \
        || { echo "installed phoebe observe failed:"; cat observe.err; exit 1; }
      grep -q '^target: "true"' profile.yaml || { echo "installed phoebe observe wrote no profile"; exit 1; }
    fi
    echo "installed tool: check, run and observe work from $(pwd | sed "s|$work|\$work|")"
  )
}
tool_works || status=1

# One summary line per test assembly: add them up.
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$work/test.log" | awk '
  { for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Passed:") p += $(i+1); if ($i == "Failed:") f += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
  END { print p + 0, f + 0, s + 0 }')
echo
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "$status" -eq 0 ] || echo "FAILED (see above)" >&2
exit "$status"
