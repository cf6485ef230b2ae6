import { unit } from './build.js';

export default unit;
