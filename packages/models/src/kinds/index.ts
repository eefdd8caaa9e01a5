/**
 * The built-in model kinds: one line per regularizer family. A contributed regularizer adds its
 * file next to these and one line here (CONTRIBUTING.md, "Adding a regularizer").
 * @module
 */
import type { AnyModelKind } from '../registry.js';
import { convIcnn } from './conv-icnn.js';
import { foe } from './foe.js';
import { huberTv } from './huber-tv.js';
import { icnn } from './icnn.js';
import { smoothTv } from './smooth-tv.js';
import { tgv } from './tgv.js';
import { tv } from './tv.js';

/** Every built-in kind, in the order reports list them. */
export const builtinKinds: readonly AnyModelKind[] = [smoothTv, huberTv, foe, icnn, convIcnn, tv, tgv];
