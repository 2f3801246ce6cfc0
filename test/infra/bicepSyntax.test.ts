import { describe, expect, it } from 'vitest';
import { bicepFiles, bicepParser, readRepoFile, syntaxProblems } from './bicepParser.js';

describe('Bicep syntax (tree-sitter-bicep, offline)', () => {
  it('finds the templates azd deploys', () => {
    const files = bicepFiles();
    expect(files).toContain('infra/main.bicep');
    expect(files).toContain('infra/eventSubscription.bicep');
    expect(files.filter((f) => f.startsWith('infra/modules/')).length).toBeGreaterThanOrEqual(8);
  });

  it.each(bicepFiles())('parses %s without ERROR or MISSING nodes', async (file) => {
    const parser = await bicepParser();
    const tree = parser.parse(readRepoFile(file));
    const problems = syntaxProblems(tree!).map((p) => `${file}:${p.line}:${p.column} ${p.kind} ${p.text}`);
    expect(problems).toEqual([]);
  });

  it.each([
    ['an unterminated object', "resource r 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n"],
    ['a property without a value', "resource r 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name:\n}\n"],
    ['a param without a type', 'param location\n'],
    ['a stray operator', "var x = 'a' +\noutput Y string = x\n"],
  ])('reports %s with its location', async (_name, source) => {
    const parser = await bicepParser();
    const problems = syntaxProblems(parser.parse(source)!);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.line).toBeGreaterThanOrEqual(1);
  });
});
