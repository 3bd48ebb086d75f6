package fr.cartable.mobile

import fr.cartable.mobile.Demo.newStore
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class RobustnessTest {

    @Test
    fun `a panic inside the library reaches Kotlin as CartableException Internal and the JVM lives on`() {
        repeat(3) {
            val e = assertThrows<CartableException.Internal> { debugPanicForTests() }
            assertEquals("internal", e.errorCode())
            assertTrue(e.reason.isNotBlank())
        }
        // The library still answers after the panics.
        CartableClient.open(newStore()).use { assertFalse(it.status().loggedIn) }
    }

    @Test
    fun `calls that need a session say so before any login`() {
        CartableClient.open(newStore()).use { phone ->
            assertEquals(null, phone.account())
            assertThrows<CartableException.NotLoggedIn> { phone.sync() }
            assertThrows<CartableException.NotLoggedIn> { phone.devices() }
        }
    }

    @Test
    fun `a wrong password is Unauthorized with the server's French message`() {
        CartableClient.open(newStore()).use { phone ->
            val e = assertThrows<CartableException.Unauthorized> {
                phone.login(Demo.server.url, Demo.CAMILLE, "mauvais", "JVM")
            }
            assertTrue(e.reason.contains("incorrect"), e.reason)
            assertFalse(phone.status().loggedIn)
        }
    }

    @Test
    fun `an unreachable server is a Network error and the failure shows in the status`() {
        CartableClient.open(newStore()).use { phone ->
            assertThrows<CartableException.Network> {
                // Port 9 (discard) on loopback: nothing listens there.
                phone.login("http://127.0.0.1:9", Demo.CAMILLE, Demo.PASSWORD, "JVM")
            }
        }
    }

    @Test
    fun `booking before the first sync says what to download`() {
        CartableClient.open(newStore()).use { phone ->
            phone.login(Demo.server.url, Demo.CAMILLE, Demo.PASSWORD, "JVM")
            val e = assertThrows<CartableException.NotDownloaded> {
                phone.book("0123456789abcdef", Demo.today().plusDays(8).toString(), "cantine")
            }
            assertTrue(e.reason.contains("synchronisez"), e.reason)
        }
    }
}
