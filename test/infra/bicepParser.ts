/**
 * Offline Bicep syntax parsing for the infra tests: tree-sitter-bicep's packaged WebAssembly grammar run by
 * web-tree-sitter (no Bicep CLI, no network, no native build).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

const require = createRequire(__filename);

/** Repository root (test/infra/ -> ../..). */
export const ROOT = join(__dirname, '..', '..');
export const INFRA = join(ROOT, 'infra');

let parser: Parser | undefined;

/** A parser for Bicep, created once per test file. */
export async function bicepParser(): Promise<Parser> {
  if (parser) return parser;
  await Parser.init();
  const language = await Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
  parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** Every .bicep file under infra/, repository-relative, sorted. */
export function bicepFiles(): string[] {
  return (readdirSync(INFRA, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => relative(ROOT, join(INFRA, f)).split('\\').join('/'))
    .sort();
}

export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export interface SyntaxProblem {
  readonly kind: 'ERROR' | 'MISSING';
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** ERROR and MISSING nodes of a parse tree, with 1-based positions. */
export function syntaxProblems(tree: Tree): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const walk = (node: Node): void => {
    if (node.isError || node.isMissing) {
      problems.push({
        kind: node.isMissing ? 'MISSING' : 'ERROR',
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        text: node.isMissing ? node.type : node.text.split('\n')[0]!.slice(0, 80),
      });
    }
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  return problems;
}

/** Top-level declarations of one kind (e.g. 'output_declaration'), with the decorators written above each. */
export function declarations(tree: Tree, type: string): { node: Node; decorators: string }[] {
  const result: { node: Node; decorators: string }[] = [];
  const children = tree.rootNode.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
  children.forEach((child, i) => {
    if (child.type !== type) return;
    const prev = children[i - 1];
    result.push({ node: child, decorators: prev?.type === 'decorators' ? prev.text : '' });
  });
  return result;
}

/** Every node of a type anywhere in the tree. */
export function nodesOfType(tree: Tree, type: string): Node[] {
  const found: Node[] = [];
  const walk = (node: Node): void => {
    if (node.type === type) found.push(node);
    for (const child of node.namedChildren) if (child) walk(child);
  };
  walk(tree.rootNode);
  return found;
}
