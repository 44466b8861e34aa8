/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime ocigate execs during `make bench`: it takes any arguments and
 * exits 0 at once, so a benchmark measures the wrapper and nothing else.
 * bench/run.sh builds it with `gcc -O2 -static` (no dynamic loader work).
 */
int
main (void)
{
  return 0;
}
