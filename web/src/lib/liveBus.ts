// One WebSocket serves every screen: the shell's connection publishes here what it receives
// (each frame, and each (re)connect so that lists resync), and screens subscribe.
import type { ServerFrame } from './socket';

type FrameListener = (frame: ServerFrame) => void;
type OpenListener = () => void;

export interface LiveBus {
  onFrame(l: FrameListener): () => void;
  onOpen(l: OpenListener): () => void;
  emitFrame(frame: ServerFrame): void;
  emitOpen(): void;
}

export function createLiveBus(): LiveBus {
  const frames = new Set<FrameListener>();
  const opens = new Set<OpenListener>();
  return {
    onFrame(l) {
      frames.add(l);
      return () => frames.delete(l);
    },
    onOpen(l) {
      opens.add(l);
      return () => opens.delete(l);
    },
    emitFrame(frame) {
      // A failing screen must not keep the frame from the others.
      for (const l of [...frames]) {
        try {
          l(frame);
        } catch (err) {
          console.error(err);
        }
      }
    },
    emitOpen() {
      for (const l of [...opens]) {
        try {
          l();
        } catch (err) {
          console.error(err);
        }
      }
    },
  };
}

export const liveBus = createLiveBus();
