package fr.cartable.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.OutlinedTextField
import androidx.compose.material.Text
import androidx.compose.material.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French
import fr.cartable.app.state.AccountModel
import fr.cartable.mobile.Account
import fr.cartable.mobile.Device

/** What "Mon compte" shows. */
data class AccountState(
    val account: Account?,
    val devices: List<Device>?,
    val devicesError: String?,
    val currentPassword: String,
    val newPassword: String,
    val newPasswordAgain: String,
    val passwordMessage: String?,
    val exportMessage: String?,
    val confirmLogout: Boolean,
    val pendingChanges: Long,
)

fun AccountModel.state(pendingChanges: Long) = AccountState(
    account, devices, devicesError, currentPassword, newPassword, newPasswordAgain,
    passwordMessage, exportMessage, confirmLogout, pendingChanges,
)

class AccountActions(
    val onRevoke: (String) -> Unit = {},
    val onCurrentPassword: (String) -> Unit = {},
    val onNewPassword: (String) -> Unit = {},
    val onNewPasswordAgain: (String) -> Unit = {},
    val onChangePassword: () -> Unit = {},
    val onExport: () -> Unit = {},
    val onLogout: () -> Unit = {},
    val onConfirmLogout: () -> Unit = {},
    val onDismiss: () -> Unit = {},
)

@Composable
fun AccountScreen(state: AccountState, actions: AccountActions) {
    Box(Modifier.fillMaxSize()) {
        Column(
            Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp),
            verticalArrangement = Arrangement.spacedBy(10.dp),
        ) {
            state.account?.let { a ->
                Panel {
                    Text(a.displayName, fontSize = 18.sp, fontWeight = FontWeight.SemiBold)
                    LabelValue("Identifiant", a.login)
                    LabelValue("Portail", a.serverUrl)
                }
            }
            Panel {
                Text("Mes appareils", fontSize = 17.sp, fontWeight = FontWeight.SemiBold)
                state.devicesError?.let { Hint(it) }
                state.devices?.forEach { d ->
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Column(Modifier.weight(1f)) {
                            Text(d.name + if (d.current) " (cet appareil)" else "", fontSize = 15.sp)
                            Text(
                                d.lastSeenMs?.let { "Dernière connexion le ${French.moment(it)}" }
                                    ?: "Connecté le ${French.moment(d.createdAtMs)}",
                                fontSize = 13.sp, color = Palette.muted,
                            )
                        }
                        if (!d.current) {
                            TextButton(onClick = { actions.onRevoke(d.deviceId) }, modifier = Modifier.heightIn(min = TouchTarget)) {
                                Text("Déconnecter")
                            }
                        }
                    }
                }
            }
            Panel {
                Text("Changer mon mot de passe", fontSize = 17.sp, fontWeight = FontWeight.SemiBold)
                Secret("Mot de passe actuel", state.currentPassword, actions.onCurrentPassword)
                Secret("Nouveau mot de passe (12 caractères au moins)", state.newPassword, actions.onNewPassword)
                Secret("Confirmez le nouveau mot de passe", state.newPasswordAgain, actions.onNewPasswordAgain)
                DoneText(state.passwordMessage)
                SecondButton("Changer le mot de passe", actions.onChangePassword)
            }
            Panel {
                Text("Mes données", fontSize = 17.sp, fontWeight = FontWeight.SemiBold)
                Hint("Tout ce que la structure sait de votre famille, dans une archive ZIP, avec un résumé à lire.")
                DoneText(state.exportMessage)
                SecondButton("Exporter mes données", actions.onExport)
            }
            MainButton("Se déconnecter", actions.onLogout)
        }
        if (state.confirmLogout) {
            QuestionSheet(
                title = "Se déconnecter ?",
                text = "Les données de la famille sont effacées de cet appareil." +
                    if (state.pendingChanges > 0) " ${French.changes(state.pendingChanges).replaceFirstChar { it.uppercase() }} pas encore envoyée(s) sera perdue(s)." else "",
                confirm = "Se déconnecter",
                dismiss = "Rester connecté",
                onConfirm = actions.onConfirmLogout,
                onDismiss = actions.onDismiss,
            )
        }
    }
}

@Composable
private fun Secret(label: String, value: String, onChange: (String) -> Unit) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        singleLine = true,
        visualTransformation = PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
        modifier = Modifier.fillMaxWidth(),
    )
}
