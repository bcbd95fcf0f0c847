// Types of tools/simulator/link.mjs for the TypeScript tests.
export const DEMO_PEOPLE: { readonly Alice: '1001001'; readonly Bob: '1001002' };
export function linkProfiles(simulatorUrl: string, storage: string, profiles: Record<string, string>, clientId?: string):
  Promise<{ profile: string; userid: string; access_token: string; refresh_token: string }[]>;
