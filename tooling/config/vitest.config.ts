import { packageProject } from '@bilevel/tooling/vitest';

export default packageProject('tooling', { testTimeout: 120_000 });
