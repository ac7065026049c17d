/** Picks the run's Chromium once, before any test file starts (see test/helpers/chromium.ts). */
import type { TestProject } from 'vitest/node';
import { chooseChromium } from '../helpers/chromium.ts';

export default async function setup(project: TestProject) {
  project.provide('chromium', await chooseChromium());
}
