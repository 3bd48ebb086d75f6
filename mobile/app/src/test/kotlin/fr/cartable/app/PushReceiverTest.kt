package fr.cartable.app

import com.sun.net.httpserver.HttpServer
import fr.cartable.app.Demo.cell
import fr.cartable.app.Demo.clearWeek
import fr.cartable.app.state.AppModel
import fr.cartable.app.state.PushReceiver
import fr.cartable.app.ui.CartableApp
import fr.cartable.mobile.CellState
import fr.cartable.mobile.PushKind
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.LocalDate
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

/**
 * A push service on loopback, as FCM or a UnifiedPush distributor would be: the real server
 * sends each message (VAPID-signed, `aes128gcm`-encrypted) to `/push/<name>`; the service keeps
 * its body as the phone would receive it. The demo server accepts its `http://` endpoint only
 * because the tests start it with `CARTABLE_PUSH_ALLOW_HTTP_ENDPOINTS=true` (see [TestServer]).
 */
private class LoopbackPushService : AutoCloseable {
    class Message(val topic: String?, val encoding: String?, val body: ByteArray)

    private val messages = LinkedBlockingQueue<Message>()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/push/") { exchange ->
            val body = exchange.requestBody.readBytes()
            val headers = exchange.requestHeaders
            messages.add(Message(headers.getFirst("Topic"), headers.getFirst("Content-Encoding"), body))
            exchange.sendResponseHeaders(201, -1)
            exchange.close()
        }
        start()
    }

    fun endpoint(name: String) = "http://127.0.0.1:${server.address.port}/push/$name"

    /** The next message received on [topic] (others are passed over), within 30 seconds. */
    fun next(topic: String): Message {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (true) {
            val left = deadline - System.nanoTime()
            val message = messages.poll(left.coerceAtLeast(0), TimeUnit.NANOSECONDS)
            assertNotNull(message, "no « $topic » message reached the push service")
            if (message!!.topic == topic) return message
        }
    }

    override fun close() = server.stop(0)
}

/** The structure's staff, through the server's API (as the admin page does). */
private object Staff {
    private val http: HttpClient = HttpClient.newHttpClient()

    private fun send(method: String, path: String, json: String?, token: String?): String {
        val body = json?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody()
        val request = HttpRequest.newBuilder(URI.create(Demo.server.url + path))
            .header("Content-Type", "application/json")
            .apply { if (token != null) header("Authorization", "Bearer $token") }
            .method(method, body)
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        assertTrue(response.statusCode() in 200..299, "$method $path: ${response.statusCode()} ${response.body()}")
        return response.body()
    }

    private fun field(json: String, name: String): String =
        Regex(""""$name"\s*:\s*"([^"]+)"""").find(json)?.groupValues?.get(1) ?: error("no $name in $json")

    val token: String by lazy {
        field(send("POST", "/api/v1/staff/login", """{"login":"admin","password":"demo-admin"}""", null), "token")
    }

    /** Publishes a message shown from today; returns its id. */
    fun publish(title: String): String =
        field(send("POST", "/api/v1/staff/information", """{"title":"$title","body":"Texte du message."}""", token), "id")

    fun withdraw(id: String) {
        send("DELETE", "/api/v1/staff/information/$id", null, token)
    }
}

/** Push messages from the real server reach the app through [PushReceiver]. */
class PushReceiverTest {

    /** A phone signed in as [login] whose push service delivers to [service]. */
    private fun subscribed(login: String, service: LoopbackPushService, name: String): AppModel {
        val app = Demo.signedIn(login)
        assertNotNull(runBlocking { app.push.setup() }, "keys to subscribe the push service with")
        val subscription = runBlocking { app.push.onNewEndpoint(service.endpoint(name)) }
        assertEquals(PushKind.entries.toSet(), subscription?.kinds?.toSet(), "every kind is wanted")
        app.announcements.clear()
        return app
    }

    @Test
    fun `an information published by the structure is pushed, announced in French and synced`() {
        LoopbackPushService().use { service ->
            val app = subscribed(Demo.CAMILLE, service, "camille")
            val before = app.information.page?.messages?.size ?: 0
            val id = Staff.publish("Sortie au musée vendredi")
            try {
                val message = service.next("information")
                assertEquals("aes128gcm", message.encoding)
                val notification = runBlocking { app.push.onMessage(message.body) }
                assertNotNull(notification, "decrypted with this phone's keys")
                assertEquals(PushKind.INFORMATION, notification!!.kind)
                assertEquals("Nouvelle information", notification.title)
                assertEquals("Sortie au musée vendredi", notification.body)
                assertEquals(listOf("Nouvelle information — Sortie au musée vendredi"), app.announcements.toList())
                // The sync it triggered brought the message to "Informations", unread.
                val page = app.information.page!!
                assertEquals(before + 1, page.messages.size)
                assertTrue(page.messages.any { it.id == id && it.title == "Sortie au musée vendredi" && !it.read })
                assertTrue(app.unread > 0L)
                Screenshots.save("37-notification-information") { CartableApp(app, live = false) }

                // Bytes that are not a message for this phone are ignored, not announced.
                assertNull(runBlocking { app.push.onMessage(byteArrayOf(1, 2, 3)) })
                assertEquals(1, app.announcements.size)
            } finally {
                Staff.withdraw(id)
                runBlocking { app.cartable.unregisterPush() }
            }
        }
    }

    @Test
    fun `a booking the server refused on another phone is pushed, announced with its reason and shown refused`() {
        LoopbackPushService().use { service ->
            val app = subscribed(Demo.SAMIRA, service, "samira")
            try {
                // Samira's other phone insists on the canteen for Yanis on a day of a closure.
                val other = Demo.signedIn(Demo.SAMIRA)
                val yanis = other.planning.children.single { it.firstName == "Yanis" }
                val earliest = clearWeek(0)
                val day = runBlocking { other.cartable.catalogue() }.closures
                    .filter { it.activities.isEmpty() || "cantine" in it.activities }
                    .flatMap { c ->
                        generateSequence(LocalDate.parse(c.from)) { it.plusDays(1) }
                            .takeWhile { !it.isAfter(LocalDate.parse(c.to)) }.toList()
                    }
                    .firstOrNull { !it.isBefore(earliest) && it.dayOfWeek.value in listOf(1, 2, 4, 5) }
                assumeTrue(day != null, "no closure ahead in the demo calendar")
                runBlocking {
                    other.cartable.bookInsisting(yanis.id, day!!, "cantine")
                    other.cartable.sync()
                }

                val message = service.next("booking")
                val notification = runBlocking { app.push.onMessage(message.body) }
                assertNotNull(notification)
                assertEquals(PushKind.BOOKING, notification!!.kind)
                assertEquals("Réservation refusée", notification.title)
                assertTrue(notification.body.startsWith("Restauration scolaire de Yanis le "), notification.body)
                assertEquals(listOf(PushReceiver.announcement(notification)), app.announcements.toList())

                runBlocking {
                    app.planning.selectChild(yanis.id)
                    app.planning.showWeek(day!!)
                }
                val refused = cell(app, day.toString(), "cantine").state
                assertTrue(refused is CellState.Refused, "$refused")
                assertTrue(
                    notification.body.endsWith((refused as CellState.Refused).reason),
                    "the notification gives the server's reason: ${notification.body} / $refused",
                )
                Screenshots.save("38-notification-reservation-refusee") { CartableApp(app, live = false) }
            } finally {
                runBlocking { app.cartable.unregisterPush() }
            }
        }
    }
}
