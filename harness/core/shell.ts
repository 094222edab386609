/** One argument as a single-quoted shell word: safe for any text, including quotes. */
export const shellQuote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** A word bare when it needs no quoting (paths, flags, KEY=value), else quoted: for command lines a person reads. */
export const shellWord = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a));

/**
 * A POSIX sh function for scripts that run a platform row's commands: `first N
 * WORDS...` runs the first N words as one command. A row's compiler and flags
 * arrive as the script's arguments, never as its text; moving the first N words
 * to the end N times and dropping the rest leaves exactly them in "$@".
 */
export const SH_FIRST =
  'first() { _n=$1; shift; _k=0; while [ "$_k" -lt "$_n" ]; do set -- "$@" "$1"; shift; _k=$((_k + 1)); done; shift $(($# - _n)); "$@"; }';
