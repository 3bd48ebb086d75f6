package fr.cartable.app

import java.io.File
import java.nio.file.Files
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit

/**
 * A real `cartable-server demo` (as in the SDK's tests) on a free loopback port, with its data in a fresh folder.
 * The binary's path comes from the system property `cartable.server`.
 */
class TestServer private constructor(private val process: Process, val url: String, val log: File) : AutoCloseable {

    companion object {
        private val LISTENING = Regex("""Cartable .coute sur (http://\S+)""")

        fun start(): TestServer {
            val binary = System.getProperty("cartable.server")?.takeIf { it.isNotBlank() }
                ?: error("set -Dcartable.server=<path of the cartable-server binary>")
            val dataDir = Files.createTempDirectory("cartable-server-")
            val log = Files.createTempFile("cartable-server-", ".log").toFile()
            val builder = ProcessBuilder(
                binary, "demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir.toString(),
            ).redirectError(log)
            builder.environment()["CARTABLE_LOG"] = "cartable_server=warn"
            // The tests' push service listens on plain http on loopback.
            builder.environment()["CARTABLE_PUSH_ALLOW_HTTP_ENDPOINTS"] = "true"
            builder.environment()["CARTABLE_PUSH_POLL_MS"] = "100"
            val process = builder.start()
            Runtime.getRuntime().addShutdownHook(Thread { process.destroyForcibly() })

            // Read stdout until the address line, then keep draining it so the server never
            // blocks on a full pipe.
            val address = CompletableFuture<String>()
            Thread({
                process.inputStream.bufferedReader(Charsets.UTF_8).useLines { lines ->
                    for (line in lines) {
                        LISTENING.find(line)?.let { address.complete(it.groupValues[1]) }
                    }
                }
                address.completeExceptionally(IllegalStateException("server exited: ${log.readText()}"))
            }, "cartable-server-stdout").apply { isDaemon = true }.start()

            val url = try {
                address.get(120, TimeUnit.SECONDS)
            } catch (e: Exception) {
                process.destroyForcibly()
                throw IllegalStateException("cartable-server did not start: ${log.readText()}", e)
            }
            return TestServer(process, url, log)
        }
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
    }
}
