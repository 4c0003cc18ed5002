// @agentrpc/core/wire: what both ends of the wire share, with no dependency of
// its own, so the SDK can carry it into browsers: the SSE decoder and which
// run events end a stream.
export { isTerminalEvent, type TerminalEventType, terminalEventTypes } from '../run/events.ts';
export {
  SseDecoder,
  type SseDecoderOptions,
  type SseEvent,
  SseLineTooLongError,
} from './sse-decoder.ts';
