package fr.cartable.mobile

import com.sun.net.httpserver.HttpServer
import fr.cartable.mobile.Demo.signedIn
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** A push service on loopback: keeps each message's headers and encrypted body. */
private class PushReceiver : AutoCloseable {
    data class Message(val topic: String?, val encoding: String?, val body: ByteArray)

    val messages = LinkedBlockingQueue<Message>()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/push/") { exchange ->
            val body = exchange.requestBody.readBytes()
            messages.add(
                Message(
                    exchange.requestHeaders.getFirst("Topic"),
                    exchange.requestHeaders.getFirst("Content-Encoding"),
                    body,
                ),
            )
            exchange.sendResponseHeaders(201, -1)
            exchange.close()
        }
        start()
    }

    fun endpoint(name: String) = "http://127.0.0.1:${server.address.port}/push/$name"

    override fun close() = server.stop(0)
}

private val http: HttpClient = HttpClient.newHttpClient()

private fun post(path: String, json: String, token: String? = null): String {
    val request = HttpRequest.newBuilder(URI.create(Demo.server.url + path))
        .header("Content-Type", "application/json")
        .apply { if (token != null) header("Authorization", "Bearer $token") }
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build()
    val response = http.send(request, HttpResponse.BodyHandlers.ofString())
    assertTrue(response.statusCode() in 200..299, "$path: ${response.statusCode()} ${response.body()}")
    return response.body()
}

private fun staffToken(): String {
    val body = post("/api/v1/staff/login", """{"login":"admin","password":"demo-admin"}""")
    return Regex(""""token"\s*:\s*"([0-9a-f]+)"""").find(body)?.groupValues?.get(1)
        ?: error("no token in $body")
}

class PushTest {

    @Test
    fun `a message published by the structure arrives and reads as a French notification`() {
        PushReceiver().use { receiver ->
            signedIn(device = "téléphone à notifications").use { phone ->
                val setup = phone.pushSetup()
                assertEquals(87, setup.p256dh.length)
                assertEquals(87, setup.vapidPublicKey.length)
                assertEquals(setup.p256dh, phone.pushSetup().p256dh, "keys are kept")
                val kinds = pushKindOptions().map { it.kind }
                assertEquals(5, kinds.size)
                val subscription = phone.registerPush(receiver.endpoint("jvm"), listOf(PushKind.INFORMATION))
                assertEquals(listOf(PushKind.INFORMATION), subscription.kinds)

                post(
                    "/api/v1/staff/information",
                    """{"title":"Piscine fermée jeudi","body":"Travaux."}""",
                    staffToken(),
                )
                val message = receiver.messages.poll(30, TimeUnit.SECONDS)
                assertNotNull(message, "the push service got the message")
                message!!
                assertEquals("information", message.topic)
                assertEquals("aes128gcm", message.encoding)
                val notification = phone.receivePush(message.body)
                assertEquals(PushKind.INFORMATION, notification.kind)
                assertEquals("Nouvelle information", notification.title)
                assertEquals("Piscine fermée jeudi", notification.body)
                assertNull(notification.syncError)

                assertThrows<CartableException.InvalidInput> { phone.receivePush(byteArrayOf(1, 2, 3)) }
                phone.unregisterPush()
                assertNull(phone.pushSubscription())
            }
        }
    }
}
