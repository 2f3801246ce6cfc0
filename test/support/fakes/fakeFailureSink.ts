/**
 * The in-memory FailureSink of the tests is the CLI's own (it records every dead-lettered item with its reason), so
 * the tests and `sql-key-rotation rotate` read dead letters the same way.
 */
export { MemoryFailureSink as FakeFailureSink, type DeadLetter } from '../../../src/cli/inProcessWorkQueue.js';
