import { useState } from 'preact/hooks';
import { type Exception, typeLabel } from './model.ts';

/**
 * Alerts for new critical exceptions: a short beep (WebAudio, no sound file) and/or a browser notification,
 * each switched on by the person and remembered on this browser.
 */
export interface AlertSettings {
  readonly sound: boolean;
  readonly notify: boolean;
}

const KEY = 'dockside.board.alerts';
let settings: AlertSettings = load();
let audio: AudioContext | undefined;
let lastBeep = 0;

function load(): AlertSettings {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    return { sound: o.sound === true, notify: o.notify === true };
  } catch {
    return { sound: false, notify: false };
  }
}

/** Audio may start only after a gesture on the page: the first click or key after a reload wakes it. */
function wake(): void {
  if (!settings.sound) return;
  audio ??= new AudioContext();
  void audio.resume();
}
addEventListener('pointerdown', wake, { once: true, capture: true });
addEventListener('keydown', wake, { once: true, capture: true });

export function useAlertSettings(): [AlertSettings, (next: AlertSettings) => void] {
  const [state, setState] = useState(settings);
  const update = (next: AlertSettings) => {
    settings = next;
    localStorage.setItem(KEY, JSON.stringify(next));
    // Both need a gesture: the checkbox click is one.
    if (next.sound) {
      audio ??= new AudioContext();
      void audio.resume();
    }
    if (next.notify && 'Notification' in window && Notification.permission === 'default') {
      void Notification.requestPermission();
    }
    setState(next);
  };
  return [state, update];
}

function beep(): void {
  const now = Date.now();
  if (now - lastBeep < 2_000) return;
  lastBeep = now;
  if (audio?.state !== 'running') return; // no gesture yet on this page: stay quiet
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = 'sine';
  osc.frequency.value = 880;
  const t = audio.currentTime;
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
  osc.connect(gain).connect(audio.destination);
  osc.start(t);
  osc.stop(t + 0.4);
}

/** Called for every exception that newly appeared on the board from the live feed. */
export function alertIfCritical(ex: Exception): void {
  if (ex.severity !== 'critical' || ex.status !== 'open') return;
  if (settings.sound) beep();
  if (settings.notify && 'Notification' in window && Notification.permission === 'granted') {
    const where = [ex.warehouseId, ex.lane, ex.shipmentId].filter(Boolean).join(' · ');
    new Notification(`Critical: ${typeLabel(ex.type)}`, { body: where, tag: ex.id });
  }
}
