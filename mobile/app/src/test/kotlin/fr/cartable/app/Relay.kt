package fr.cartable.app

import java.io.InputStream
import java.io.OutputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.Collections

/**
 * A TCP relay in front of the test server: the phone signs in through it, and the test cuts
 * the network ([offline] = true closes every connection and refuses new ones) and restores it.
 */
class Relay(targetUrl: String) : AutoCloseable {
    private val target = java.net.URI(targetUrl)
    private val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    private val open = Collections.synchronizedSet(mutableSetOf<Socket>())

    /** The address to sign in with. */
    val url = "http://127.0.0.1:${server.localPort}"

    @Volatile
    var offline = false
        set(value) {
            field = value
            if (value) synchronized(open) { open.forEach { runCatching { it.close() } }; open.clear() }
        }

    init {
        Thread({
            while (!server.isClosed) {
                val client = runCatching { server.accept() }.getOrNull() ?: break
                if (offline) {
                    runCatching { client.close() }
                    continue
                }
                val upstream = runCatching { Socket(target.host, target.port) }.getOrNull()
                if (upstream == null) {
                    runCatching { client.close() }
                    continue
                }
                open += client
                open += upstream
                pump(client.getInputStream(), upstream.getOutputStream(), client, upstream)
                pump(upstream.getInputStream(), client.getOutputStream(), client, upstream)
            }
        }, "relay-accept").apply { isDaemon = true }.start()
    }

    private fun pump(from: InputStream, to: OutputStream, a: Socket, b: Socket) {
        Thread({
            val buffer = ByteArray(16 * 1024)
            try {
                while (true) {
                    val n = from.read(buffer)
                    if (n < 0) break
                    to.write(buffer, 0, n)
                    to.flush()
                }
            } catch (_: Exception) {
            } finally {
                runCatching { a.close() }
                runCatching { b.close() }
                open -= a
                open -= b
            }
        }, "relay-pump").apply { isDaemon = true }.start()
    }

    override fun close() {
        offline = true
        runCatching { server.close() }
    }
}
