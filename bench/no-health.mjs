/**
 * Preloaded by the health bench (`node --import ./bench/no-health.mjs bin/clientkeys serve`): the
 * built server with key health counting nothing. Its recorder's three hot-path methods become
 * no-ops on the class the server itself loads (the same module URL, so the same class), so there is
 * nothing to flush either. A bench-only reference: clientkeys has no switch for this, by design.
 */
import { KeyHealthRecorder } from '../dist/ingest/key-health.js';

KeyHealthRecorder.prototype.accepted = function accepted() {};
KeyHealthRecorder.prototype.refused = function refused() {};
KeyHealthRecorder.prototype.discarded = function discarded() {};
