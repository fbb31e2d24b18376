"""
A Pipecat telephony bot as Pipecat's own examples write one, behind trunkgate's `websocket` agent.

It serves a WebSocket at /ws, lets Pipecat's runner detect the carrier format
(parse_telephony_websocket), builds Pipecat's TwilioFrameSerializer or PlivoFrameSerializer, and
runs a pipeline that echoes the caller. After ECHO_BOT_END_AFTER_FRAMES caller audio frames
(0 = never) it ends the call the Pipecat way: an EndFrame, on which the serializer makes its
carrier REST hang-up and the transport closes the socket (code 1000).

    python echo_bot.py --port 8765 [--twilio-base-url http://127.0.0.1:8780]

Twilio format: with --twilio-base-url (Pipecat >= 1.5) the hang-up reaches trunkgate's emulated
REST endpoint (the agent's `rest_api_port`); without it, Pipecat calls api.twilio.com. Plivo
format (Vobiz): Pipecat always calls api.plivo.com; trunkgate ends the call on the socket's
normal close. TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN may hold
anything: Pipecat only requires them to be set for auto_hang_up.
"""

import argparse
import os

import uvicorn
from fastapi import FastAPI, WebSocket
from loguru import logger

from pipecat.frames.frames import EndFrame, Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.serializers.plivo import PlivoFrameSerializer
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

app = FastAPI()
settings = argparse.Namespace(twilio_base_url=None, end_after=0)


class Echo(FrameProcessor):
    """Sends the caller's audio back; queues an EndFrame after `end_after` frames."""

    def __init__(self, end_after: int):
        super().__init__()
        self._end_after = end_after
        self._frames = 0
        self.worker: PipelineWorker | None = None

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            await self.push_frame(
                OutputAudioRawFrame(audio=frame.audio, sample_rate=frame.sample_rate, num_channels=frame.num_channels)
            )
            self._frames += 1
            if self._end_after and self._frames == self._end_after and self.worker:
                logger.info(f"echo bot: {self._frames} frames heard, ending the call")
                await self.worker.queue_frame(EndFrame())
        else:
            await self.push_frame(frame, direction)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    transport_type, call_data = await parse_telephony_websocket(websocket)
    logger.info(f"echo bot: transport {transport_type}, call {call_data['call_id']}")
    if transport_type == "twilio":
        serializer = TwilioFrameSerializer(
            stream_sid=call_data["stream_id"],
            call_sid=call_data["call_id"],
            account_sid=os.getenv("TWILIO_ACCOUNT_SID", ""),
            auth_token=os.getenv("TWILIO_AUTH_TOKEN", ""),
            base_url=settings.twilio_base_url,
        )
    else:
        serializer = PlivoFrameSerializer(
            stream_id=call_data["stream_id"],
            call_id=call_data["call_id"],
            auth_id=os.getenv("PLIVO_AUTH_ID", ""),
            auth_token=os.getenv("PLIVO_AUTH_TOKEN", ""),
        )
    transport = FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer
        ),
    )
    echo = Echo(settings.end_after)
    worker = PipelineWorker(
        Pipeline([transport.input(), echo, transport.output()]),
        params=PipelineParams(audio_in_sample_rate=8000, audio_out_sample_rate=8000),
    )
    echo.worker = worker

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport, client):
        logger.info("echo bot: client disconnected")
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await runner.run()
    logger.info("echo bot: pipeline finished")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--twilio-base-url", default=None)
    parser.add_argument("--end-after-frames", type=int, default=int(os.getenv("ECHO_BOT_END_AFTER_FRAMES", "0")))
    args = parser.parse_args()
    settings.twilio_base_url = args.twilio_base_url
    settings.end_after = args.end_after_frames
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
