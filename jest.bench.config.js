/** `npm run bench`: the end-to-end benchmark (prints numbers; not part of npm test). */
import base from './jest.config.js';

export default { ...base, roots: ['<rootDir>/test/bench'], testMatch: ['**/*.bench.ts'] };
