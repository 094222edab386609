/** One argument as a single-quoted shell word: safe for any text, including quotes. */
export const shellQuote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** A word bare when it needs no quoting (paths, flags, KEY=value), else quoted: for command lines a person reads. */
export const shellWord = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a));
