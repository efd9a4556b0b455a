// index.mjs - the panels of the page, in tab order, and the URL-parameter modes
// (see README.md in this folder for the contract).
import train from './train.mjs';
import inspect from './inspect.mjs';
import evaluate from './evaluate.mjs';
import anatomy from './anatomy.mjs';
import lesson from '../lesson.mjs';

// The Train panel still takes the flat context of the first panel contract; this builds it
// from the services, with only the members train.mjs uses.
export function flatContext(s) {
  return {
    t: s.i18n.t, addStrings: s.i18n.addStrings, className: s.i18n.className,
    get lang() { return s.i18n.lang; },
    state: s.url, events: s.events,
    error: s.errors.show, clearError: s.errors.clear,
    get models() { return { CNN: s.models.get('CNN'), CNN_SE: s.models.get('CNN_SE') }; },
    getWeights: s.models.getWeights, setWeights: s.models.setWeights,
    dataSet: s.data.inUse, trainData: s.data.trainData,
    get trainWorker() { return s.training.worker(); },
  };
}
const withFlatContext = (p) => ({ ...p, mount: (element, services) => p.mount(element, flatContext(services)) });

export const panels = [withFlatContext(train), inspect, evaluate, anatomy];
export const modes = { lesson };
