export { default } from '@bilevel/tooling/eslint';
