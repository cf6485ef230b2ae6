import { host } from './build.js';

export default host;
