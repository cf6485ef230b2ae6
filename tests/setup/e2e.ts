import { e2e } from './build.js';

export default e2e;
