/**
 * The RxJS that vgrade runs on, each name from its own module.
 *
 * `import { map } from 'rxjs'` resolves, under Node's `node` condition, to RxJS's CommonJS index,
 * which requires all 250 of its modules at start-up: 110 ms of wall time (140 ms of CPU) of every
 * `vgrade` command on this project's 2-core machine, where the 50 modules these names need take
 * 40 ms of CPU (`process.cpuUsage()` around the imports, 2026-11-30). `rxjs/internal/*` is in
 * RxJS's exports map, and these are the very objects its index exports, so frames and operators
 * made here mix with code (and tests) that import `rxjs` itself.
 */
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { Subscriber } from 'rxjs/internal/Subscriber';
export { Subscription } from 'rxjs/internal/Subscription';
export { defer } from 'rxjs/internal/observable/defer';
export { from } from 'rxjs/internal/observable/from';
export { concatMap } from 'rxjs/internal/operators/concatMap';
export { finalize } from 'rxjs/internal/operators/finalize';
export { map } from 'rxjs/internal/operators/map';
export { switchMap } from 'rxjs/internal/operators/switchMap';
export { tap } from 'rxjs/internal/operators/tap';
export type { OperatorFunction } from 'rxjs/internal/types';
