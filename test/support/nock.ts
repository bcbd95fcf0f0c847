/**
 * Network isolation for a test file that answers Withings with nock: no real connection, every
 * interceptor dropped after each test, and nock uninstalled at the end (the next test file in the
 * same Jest worker installs its own; two live interceptors make socket errors escape).
 */
import nock from 'nock';

export function isolateNetwork(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}
