import { packageProject } from '@bilevel/tooling/vitest';

export default packageProject('models');
