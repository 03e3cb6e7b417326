#!/usr/bin/env bash
# benches/run_http_instr.sh: the HTTP instruction count under the name the
# earlier entries of BENCHMARKS.md use; the script is run_instr.sh.
exec env BENCH=http bash "$(dirname "${BASH_SOURCE[0]}")/run_instr.sh" "$@"
