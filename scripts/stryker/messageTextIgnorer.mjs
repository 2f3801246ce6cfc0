// A Stryker ignorer (see stryker.config.mjs): mutants inside the prose of log lines and error messages are not
// generated. Mutating that text ("" for 'Key Vault did not report…', `` for a template) asks whether a test reads
// the sentence word for word, which no test should; what the code decides is in the codes, classes and values
// around it, and those stay mutated. Secrets in log text are held by the leak tests (test/support/secrecy.ts),
// not by mutants.
//
// Ignored, and nothing else:
// - the first argument of a logger call: `<anything>.logger.{info,warn,error,debug,trace}(text, properties)` or
//   `logger.<level>(text, …)` (the properties object after it is still mutated);
// - an argument of `new <Name>Error(…)` that is prose: a template literal, a string literal containing a space, or a
//   `+` concatenation of those (an error code such as 'UnexpectedResponse' or a class such as 'terminal' has no
//   space, so it is still mutated).
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const LOG_LEVELS = new Set(['info', 'warn', 'error', 'debug', 'trace']);

function isProse(node) {
  if (node.type === 'TemplateLiteral') return true;
  if (node.type === 'StringLiteral') return node.value.includes(' ');
  if (node.type === 'BinaryExpression' && node.operator === '+') return isProse(node.left) || isProse(node.right);
  return false;
}

function isLoggerCall(call) {
  const callee = call.callee;
  if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') return false;
  if (!LOG_LEVELS.has(callee.property.name)) return false;
  const object = callee.object;
  const name = object.type === 'Identifier' ? object.name : object.type === 'MemberExpression' && !object.computed ? object.property.name : '';
  return /logger$/i.test(name) || name === 'log';
}

function isErrorConstruction(expr) {
  return expr.type === 'NewExpression' && expr.callee.type === 'Identifier' && /Error$/.test(expr.callee.name);
}

export const messageTextIgnorer = {
  shouldIgnore(path) {
    const parent = path.parentPath?.node;
    if (parent === undefined || !isProse(path.node)) return undefined;
    if (parent.type === 'CallExpression' && parent.arguments[0] === path.node && isLoggerCall(parent)) {
      return 'log line text (see scripts/stryker/messageTextIgnorer.mjs)';
    }
    if (isErrorConstruction(parent) && parent.arguments.includes(path.node)) {
      return 'error message text (see scripts/stryker/messageTextIgnorer.mjs)';
    }
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'message-text', messageTextIgnorer)];
