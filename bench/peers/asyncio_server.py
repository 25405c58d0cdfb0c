# Python asyncio streams, as the documentation's echo server writes them; with --uvloop, the same
# code on uvloop. Usage: /usr/bin/python3 asyncio_server.py PORT [--uvloop]
import asyncio
import sys


async def echo_handler(reader, writer):
    try:
        while True:
            data = await reader.read(1000)
            if not data:
                break
            writer.write(b'GOT:' + data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main(port):
    server = await asyncio.start_server(echo_handler, '127.0.0.1', port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    if '--uvloop' in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
