#!/usr/bin/env bash
# Guest MIPS of pmuemu and qemu-system-aarch64 on the integer-loop guest.
#
#   bench/intloop.sh [BUILD_DIR]        (default: <repo>/build; RUNS=5 to change repeats)
#
# Rows: pmuemu (--timing functional: one cycle per instruction, the fastest mode),
# pmuemu_cycle (--timing cycle: every instruction through the pCPU's timing model) and qemu.
# PMUEMU_ARGS adds options to both pmuemu rows (e.g. PMUEMU_ARGS=--bare).
#
# Each emulator runs intloop_small.elf and intloop_large.elf (same loop, different
# compile-time iteration counts) RUNS times; the fastest run of each is kept and
#   MIPS = (insns_large - insns_small) / (t_large - t_small) / 1e6,
# so start-up, ELF loading and the code around the loop cancel out. Instruction counts
# come from the guests' own output (iterations x instructions per iteration).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
build=$(cd "$build" && pwd)
runs=${RUNS:-3}
host=$repo/configs/big-little.yaml
small=$build/guests/intloop_small.elf
large=$build/guests/intloop_large.elf
pmuemu=$build/bin/pmuemu
qemu=$(command -v qemu-system-aarch64 || true)

for f in "$small" "$large"; do
  [[ -f $f ]] || { echo "intloop.sh: $f missing: build the 'bench' (or 'guests') target" >&2; exit 1; }
done
[[ -x $pmuemu ]] || { echo "intloop.sh: $pmuemu missing: build the 'pmuemu' target" >&2; exit 1; }

# shellcheck disable=SC2086  # PMUEMU_ARGS is a list of options
run_pmuemu() { "$pmuemu" run --host "$host" --guest "$1" --timing functional ${PMUEMU_ARGS:-}; }
# shellcheck disable=SC2086
run_pmuemu_cycle() { "$pmuemu" run --host "$host" --guest "$1" --timing cycle ${PMUEMU_ARGS:-}; }
run_qemu() {
  # Only the guest's semihosting output on stdout; status = the guest's exit status.
  "$qemu" -M virt -cpu max -nodefaults -display none -net none \
    -chardev stdio,id=semihost -semihosting-config enable=on,target=native,chardev=semihost \
    -kernel "$1" </dev/null
}

now() { date +%s.%N; }

# time_best EMULATOR ELF -> "seconds instructions result" of the fastest of $runs runs
time_best() {
  local emu=$1 elf=$2 best="" out t0 t1 dt insns result
  for ((i = 0; i < runs; i++)); do
    t0=$(now)
    if ! out=$(run_"$emu" "$elf" 2>/dev/null); then
      echo "intloop.sh: $emu failed on $(basename "$elf"): $out" >&2
      return 1
    fi
    t1=$(now)
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    if [[ -z $best ]] || awk -v a="$dt" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$dt; fi
  done
  insns=$(sed -n 's/.*iterations=\([0-9]*\) insns_per_iter=\([0-9]*\).*/\1 \2/p' <<<"$out" |
          awk '{ printf "%.0f", $1 * $2 }')
  result=$(sed -n 's/.*result=\([0-9a-f]*\).*/\1/p' <<<"$out")
  [[ -n $insns ]] || { echo "intloop.sh: unexpected output from $emu: $out" >&2; return 1; }
  echo "$best $insns $result"
}

declare -A mips
ref_result=""
printf "%-12s %10s %10s %14s %10s\n" emulator small_s large_s delta_insns MIPS
for emu in pmuemu pmuemu_cycle qemu; do
  if [[ $emu == qemu && -z $qemu ]]; then
    echo "qemu     not installed (run scripts/install-deps for the comparison)"
    continue
  fi
  read -r ts is rs < <(time_best "$emu" "$small") || exit 1
  read -r tl il rl < <(time_best "$emu" "$large") || exit 1
  if [[ -n $ref_result && $rl != "$ref_result" ]]; then
    echo "intloop.sh: WARNING: $emu computed result $rl, expected $ref_result" >&2
  fi
  ref_result=${ref_result:-$rl}
  m=$(awk -v ts="$ts" -v tl="$tl" -v is="$is" -v il="$il" \
      'BEGIN { d = tl - ts; if (d <= 0) { print "nan"; exit } printf "%.1f", (il - is) / d / 1e6 }')
  mips[$emu]=$m
  printf "%-12s %10.3f %10.3f %14.0f %10s\n" "$emu" "$ts" "$tl" "$((il - is))" "$m"
done

if [[ ${mips[pmuemu_cycle]:-nan} != nan && ${mips[pmuemu]} != nan ]]; then
  awk -v c="${mips[pmuemu_cycle]}" -v f="${mips[pmuemu]}" \
      'BEGIN { printf "ratio cycle/functional: %.3f\n", c / f }'
fi
if [[ -n ${mips[qemu]:-} && ${mips[qemu]} != nan && ${mips[pmuemu]} != nan ]]; then
  awk -v p="${mips[pmuemu]}" -v q="${mips[qemu]}" \
      'BEGIN { printf "ratio pmuemu/qemu: %.3f\n", p / q }'
fi
