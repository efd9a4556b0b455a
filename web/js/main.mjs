// main.mjs - the page's entry point (index.html): starts the shell (app.mjs).
import { start } from './app.mjs';

start();
