// index.mjs - the panels of the page, in tab order, and the URL-parameter modes
// (see README.md in this folder for the contract).
import train from './train.mjs';
import inspect from './inspect.mjs';
import evaluate from './evaluate.mjs';
import anatomy from './anatomy.mjs';
import images from './images.mjs';
import lesson from '../lesson.mjs';

export const panels = [train, inspect, evaluate, anatomy, images];
export const modes = { lesson };
