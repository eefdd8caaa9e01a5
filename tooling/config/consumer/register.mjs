// `node --import <this file>`: resolve imports of workspace packages as a published install would
// (see ./hooks.mjs). Register it after tsx so that it sees the specifiers first.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
