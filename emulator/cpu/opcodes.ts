/**
 * Loads every instruction family so its rows are in TABLE. Import this (not table.ts) to get a complete table.
 * One file per family; each registers its opcodes with def() from table.ts.
 */
import './alu';
import './mov';
import './stack';
import './control';
import './system';
import './sysenter';
import './string-ops';
import './sse';
import './sse-int';
import './sse3';
import './ssse3';
import './sse41';
import './sse42';
import './pclmul';
import './sse-convert';
import './mmx';
import './fpu-state';
import './x87';
import './shift';
import './bitops';
import './atomic';
import './avx';
import './avx-sse';
import './avx-permute';
import './bmi';
import './bcd';
import './far-pointer';
export { TABLE, UNDEFINED } from './table';
