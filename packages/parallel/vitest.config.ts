import { packageProject } from '@bilevel/tooling/vitest';

export default packageProject('parallel', { testTimeout: 180_000 });
