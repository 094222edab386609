import t from 'tap';
import { goModRequirements, goModString, parseGoMod } from '../../harness/core/go-mod.js';

/** The requirements of a go.mod, or its error as "line N: message". */
const needs = (text: string): string[] | string => {
  const r = goModRequirements(text);
  return 'error' in r ? `line ${r.error.line}: ${r.error.message}` : r.modules;
};

t.test('require, spelled every way Go accepts', async (t) => {
  const sys = ['golang.org/x/sys'];
  t.same(needs('module a\nrequire golang.org/x/sys v0.1.0\n'), sys, 'one line');
  t.same(needs('module a\nrequire (\n\tgolang.org/x/sys v0.1.0\n)\n'), sys, 'a block, "require ("');
  t.same(
    needs('module a\nrequire(\n\tgolang.org/x/sys v0.1.0\n)\n'),
    sys,
    'a block, "require(" without a space (the line regex missed it)',
  );
  t.same(needs('module a\nrequire\t(\n golang.org/x/sys v0.1.0\n)'), sys, 'a tab before "(", no newline at the end');
  t.same(needs('module a\r\nrequire (\r\n\tgolang.org/x/sys v0.1.0\r\n)\r\n'), sys, 'CRLF line ends');
  t.same(
    needs('module a\nrequire ( // the deps\n\tgolang.org/x/sys v0.1.0 // indirect\n\t// golang.org/x/text v0.3.0\n)\n'),
    sys,
    'comments after "(", after a line, and a commented-out line',
  );
  t.same(needs('module a\nrequire "golang.org/x/sys" v0.1.0\n'), sys, 'a quoted path');
  t.same(needs('module a\nrequire "golang.org\\x2fx/sys" "v0.1.0"\n'), sys, 'a quoted path with an escape, a quoted version');
  t.same(needs('module a\nrequire golang.org/x/sys v0.1.0//indirect\n'), sys, 'a comment right after a word ends it');
  t.same(needs('module a\n  require   golang.org/x/sys   v0.1.0  \n'), sys, 'indented, extra spaces');
  t.same(
    needs(
      'module a\n\ngo 1.22\n\nrequire (\n\tgithub.com/x/y v1.2.3\n)\n\nrequire golang.org/x/sys v0.1.0\n\nrequire(\n\tgithub.com/z/w v0.0.1\n)\n',
    ),
    ['github.com/x/y', 'golang.org/x/sys', 'github.com/z/w'],
    'several require statements, in file order',
  );
  t.same(needs('module a\nrequire ()\n'), [], 'an empty block');
  t.same(needs('module a\nrequire (\n)\n'), [], 'an empty block over two lines');
});

t.test('what is not a requirement', async (t) => {
  t.same(needs(''), [], 'an empty file');
  t.same(needs('module a\n\ngo 1.22\n'), []);
  t.same(needs('// require golang.org/x/sys v0.1.0\nmodule a\n'), [], 'a commented-out require');
  t.same(needs('module a\nrequires golang.org/x/sys v0.1.0\n'), [], 'another verb (go build reports it, not the vendor check)');
  t.same(
    needs(
      'module a\nexclude golang.org/x/sys v0.1.0\nretract v1.0.0\nreplace golang.org/x/sys => ./sys\ntoolchain go1.27.0\ngodebug (\n\tpanicnil=1\n)\ntool golang.org/x/tools/cmd/stringer\n',
    ),
    [],
    'exclude, retract, replace, toolchain, godebug, tool',
  );
});

t.test("Go's errors, with Go's messages and the line", async (t) => {
  t.equal(needs('module a\nrequire (\n\tgolang.org/x/sys v0.1.0\n'), 'line 2: syntax error (unterminated block started at line 2)');
  t.equal(needs('module a\nrequire golang.org/x/sys\n'), 'line 2: usage: require module/path v1.2.3');
  t.equal(
    needs('module a\nrequire ( golang.org/x/sys v0.1.0 )\n'),
    'line 2: usage: require module/path v1.2.3',
    'a block on one line is no block to Go',
  );
  t.equal(needs('module a\nrequire (\n\tgolang.org/x/sys v0.1.0\n) x\n'), 'line 4: syntax error (expected newline after closing paren)');
  t.equal(needs('module a\nrequire x (\n)\n'), 'line 2: unknown block type: require x');
  t.equal(needs('module a\n/* require golang.org/x/sys v0.1.0 */\n'), 'line 2: mod files must use // comments (not /* */ comments)');
  t.equal(needs('module a\nrequire "golang.org/x/sys v0.1.0\n'), 'line 2: unexpected newline in string');
  t.equal(needs('module a\nrequire "golang.org/x/sys'), 'line 2: unexpected EOF in string');
  t.equal(needs("module a\nrequire 'golang.org/x/sys' v0.1.0\n"), "line 2: invalid quoted string: 'golang.org/x/sys'");
  t.equal(
    needs('module a\nrequire `golang.org/x/sys` v0.1.0\n'),
    'line 2: invalid quoted string: `golang.org/x/sys`',
    'modfile lexes a backquoted string, then refuses it as a path',
  );
  t.equal(needs('module a\nrequire "a\\q" v0.1.0\n'), 'line 2: invalid quoted string: "a\\q"');
  t.equal(needs('module a\nrequire\vgolang.org/x/sys v0.1.0\n'), 'line 2: unexpected input character U+000B');
});

t.test('parseGoMod keeps every directive with its verb, arguments as written, and line', async (t) => {
  t.same(
    parseGoMod('module "example.com/a"\n\ngo 1.22\nrequire(\n\tx.org/y v1.0.0 // indirect\n)\nretract [v1.0.0, v1.0.5]\nrequire z ( ) w\n'),
    {
      directives: [
        { verb: 'module', args: ['"example.com/a"'], line: 1 },
        { verb: 'go', args: ['1.22'], line: 3 },
        { verb: 'require', args: ['x.org/y', 'v1.0.0'], line: 5 },
        { verb: 'retract', args: ['[', 'v1.0.0', ',', 'v1.0.5', ']'], line: 7 },
        { verb: 'require', args: ['z', '(', ')', 'w'], line: 8 },
      ],
    },
  );
});

t.test("goModString: modfile's parseString", async (t) => {
  t.equal(goModString('golang.org/x/sys'), 'golang.org/x/sys');
  t.equal(goModString('"golang.org/x/sys"'), 'golang.org/x/sys');
  t.equal(goModString('"tab\\there \\u00e9 \\101 \\"q\\""'), 'tab\there é A "q"');
  t.equal(goModString('"a\\400"'), undefined, 'an octal escape above 255');
  t.equal(goModString('"a\\x4"'), undefined, 'a short hex escape');
  t.equal(goModString('"a"b"'), undefined);
  t.equal(goModString("it's"), undefined, 'a bare word with a quote');
});

t.test('a hostile go.mod of 200 000 require lines parses in linear time', async (t) => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `\texample.com/m${i} v1.0.0 // c`).join('\n');
  const started = performance.now();
  const r = goModRequirements(`module a\nrequire(\n${lines}\n)\n`);
  t.equal('modules' in r && r.modules.length, 200_000);
  t.ok(performance.now() - started < 5_000, 'a hang guard, not a benchmark');
});
