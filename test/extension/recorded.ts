/** Loads the recorded adapter responses under test/extension/recorded (read from the source tree). */
import * as fs from 'node:fs';
import * as path from 'node:path';

const DIR = path.join(__dirname, '..', '..', '..', 'test', 'extension', 'recorded');

export function recorded<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(DIR, name + '.json'), 'utf8')) as T;
}
