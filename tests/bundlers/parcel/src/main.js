import { MobileNet } from 'mobilenet-wasm';
import { run } from './classify.js';

run(MobileNet);
