import { packageProject } from '@bilevel/tooling/vitest';

export default packageProject('cli', { testTimeout: 180_000 });
