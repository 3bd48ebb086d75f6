package fr.cartable.mobile

import fr.cartable.mobile.Demo.newStore
import java.time.LocalDate
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class CartableFlowTest {

    @Test
    fun `the status flow follows login, edits and syncs`() = runBlocking {
        Cartable.open(newStore()).use { cartable ->
            assertFalse(cartable.syncStatus.value.loggedIn)

            cartable.login(Demo.server.url, Demo.CAMILLE, Demo.PASSWORD, "Flow")
            withTimeout(5_000) { cartable.syncStatus.first { it.loggedIn } }

            cartable.sync()
            val synced = withTimeout(5_000) { cartable.syncStatus.first { it.lastSyncMs != null } }
            assertEquals(null, synced.lastError)

            val lea = cartable.dossier().children.single { it.firstName == "Léa" }
            val day = LocalDate.parse(Demo.bookableCells(cartable.client, 1, lea.id, "garderie-matin").single().date)
            cartable.book(lea.id, day, "garderie-matin")
            assertTrue(cartable.syncStatus.value.pendingChanges > 0uL, "an edit emits a status with a pending change")

            cartable.sync()
            assertEquals(0uL, cartable.syncStatus.value.pendingChanges)
            val state = cartable.planningWeek(day).rows.single { it.date == day.toString() }.cells
                .single { it.childId == lea.id && it.activityId == "garderie-matin" }.state
            assertEquals(CellState.Accepted, state)
        }
    }

    @Test
    fun `suspend calls run concurrently on the IO dispatcher and errors stay typed`() = runBlocking {
        Cartable.open(newStore()).use { cartable ->
            cartable.login(Demo.server.url, Demo.CAMILLE, Demo.PASSWORD, "Flow concurrent")
            val reports = (1..4).map { async { cartable.sync() } }.awaitAll()
            assertEquals(4, reports.size)
            assertNotNull(cartable.account())
            val e = assertThrows<CartableException.AlreadyLoggedIn> {
                runBlocking { cartable.login(Demo.server.url, Demo.CAMILLE, Demo.PASSWORD, "Flow") }
            }
            assertTrue(e.reason.isNotBlank())
        }
    }
}
